export { formatterPerZone } from './formatter-per-zone.ts';
export { localTime, type LocalTime } from './local-time.ts';
