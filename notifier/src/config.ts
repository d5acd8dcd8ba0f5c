/** The notifier's configuration: every variable, its default and purpose (see README "Configuration"). */
import { logLevelSetting, opsHostSetting, opsPortSetting } from '@tickwatch/infra/service-settings';

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  NOTIFIER_OPS_PORT: opsPortSetting('notifier', 9103),
};
