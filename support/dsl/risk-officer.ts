import type { CustomBreakerRequest, ResetOutcome, ResetRequest, StoredEvent } from '../sut/system-under-test';
import { BREAKER_LEVEL_SETTINGS, SETTING_LABELS } from '../sut/settings-catalogue';
import { cell } from '../table-cells';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';

const LABEL_TO_SETTING = new Map(Object.entries(SETTING_LABELS).map(([key, label]) => [label, key]));

/** The risk officer's channel: limits and other settings, the circuit breakers' levels, resets and new breakers. */
export class RiskOfficer {
  constructor(private readonly context: ScenarioContext) {}

  /** A setting's key from the label the Gherkin reads ("max leverage"). */
  settingKey(label: string): string {
    const key = LABEL_TO_SETTING.get(label);
    if (!key) throw new Error(`unknown setting label "${label}"; known: ${[...LABEL_TO_SETTING.keys()].join('; ')}`);
    return key;
  }

  /** Change settings by key, as one versioned change. */
  changeSettings(changes: Readonly<Record<string, string>>, reason = 'scenario set-up', actor = 'risk officer'): StoredEvent {
    return this.context.system.changeSettings(changes, actor, reason);
  }

  /** Change settings by the labels a risk officer reads. */
  setLimits(byLabel: Readonly<Record<string, string>>, reason = 'scenario set-up'): StoredEvent {
    return this.changeSettings(Object.fromEntries(Object.entries(byLabel).map(([label, value]) => [this.settingKey(label), cell.systemText(value)])), reason);
  }

  /** The breakers run from the next start on (configured before the system starts). */
  armBreakers(): void {
    if (this.context.session.isRunning) throw new Error('the circuit breakers are armed before the trading system starts');
    this.context.circuitBreakers = 'armed';
  }

  /** Percent levels are entered as a person writes them; the correlation jump is a plain number. */
  setBreakerLevels(levels: readonly { breaker: string; warning: string; critical: string }[]): StoredEvent {
    const changes: Record<string, string> = {};
    for (const { breaker, warning, critical } of levels) {
      const keys = BREAKER_LEVEL_SETTINGS[breaker];
      if (!keys) throw new Error(`no standard breaker "${breaker}"; known: ${Object.keys(BREAKER_LEVEL_SETTINGS).join(', ')}`);
      changes[keys.warning] = cell.percentOrFigure(warning);
      changes[keys.critical] = cell.percentOrFigure(critical);
    }
    return this.changeSettings(changes, 'circuit breaker levels');
  }

  registerBreaker(request: CustomBreakerRequest): void {
    this.context.system.breakers.register(request);
  }

  async resetBreakers(request: ResetRequest): Promise<ResetOutcome> {
    return this.context.memory.remember('reset', LATEST, await this.context.system.breakers.reset(request));
  }
}
