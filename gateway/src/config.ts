/** The gateway's configuration: every variable, its default and purpose (see README "Configuration"). */
import { logLevelSetting, opsHostSetting, opsPortSetting } from '@tickwatch/infra/service-settings';

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  GATEWAY_OPS_PORT: opsPortSetting('gateway', 9100),
};
