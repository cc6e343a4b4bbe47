/**
 * The settings the port speaks of: each setting's key and the label a risk officer reads, the
 * defaults, and which settings hold each standard breaker's levels. A driver for another system
 * maps these keys onto its own configuration.
 */
export { DEFAULT_SETTINGS, SETTING_LABELS, correlationKey, formatSettingValue, settingLabel } from '../../domain/state';
export { BREAKER_LEVEL_SETTINGS } from '../../domain/breakers';
