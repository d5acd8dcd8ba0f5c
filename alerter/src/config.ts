/** The alerter's configuration: every variable, its default and purpose (see README "Configuration"). */
import { logLevelSetting, opsHostSetting, opsPortSetting } from '@tickwatch/infra/service-settings';

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  ALERTER_OPS_PORT: opsPortSetting('alerter', 9102),
};
