/**
 * A cache of `Intl.DateTimeFormat`s that differ only by time zone: building a formatter costs
 * about 100 µs, using one about 2 µs, and per-event code (alert emails, trading days, market
 * hours) formats in the zone each user or exchange names.
 */
export function formatterPerZone(
  locale: string,
  options: Omit<Intl.DateTimeFormatOptions, 'timeZone'>,
): (timeZone: string) => Intl.DateTimeFormat {
  const formatters = new Map<string, Intl.DateTimeFormat>();
  return (timeZone) => {
    let formatter = formatters.get(timeZone);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat(locale, { ...options, timeZone });
      formatters.set(timeZone, formatter);
    }
    return formatter;
  };
}
