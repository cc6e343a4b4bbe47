import type { CustomBreakerRequest, Decimal, EventOf, ResetOutcome, ResetRequest, StoredEvent, SystemState } from '../sut';
import { BREAKER_LEVEL_SETTINGS, DEFAULT_SETTINGS, SETTING_LABELS, settingLabel } from '../sut';
import { cell } from '../table-cells';
import type { ScenarioContext } from './scenario-context';
import { LATEST } from './scenario-memory';

const LABEL_TO_SETTING = new Map(Object.entries(SETTING_LABELS).map(([key, label]) => [label, key]));

/** One level of a standard breaker as the system holds it, and the unit its setting's label gives ("% of mark"; none for a plain figure). */
export interface BreakerLevelInForce {
  readonly value: string | undefined;
  readonly unit: string | undefined;
}

/** A standard breaker's two levels in force. */
export interface BreakerLevelsInForce {
  readonly breaker: string;
  readonly warning: BreakerLevelInForce;
  readonly critical: BreakerLevelInForce;
}

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

  /** The breakers are armed before the trading system starts, and it starts with them: whether they run in it now. */
  async armBreakers(): Promise<boolean> {
    if (this.context.session.isRunning) throw new Error('the circuit breakers are armed before the trading system starts');
    this.context.circuitBreakers = 'armed';
    return (await this.context.session.start()).breakers.armed;
  }

  /** Percent levels are entered as a person writes them; the correlation jump is a plain number. The levels then in force. */
  setBreakerLevels(levels: readonly { breaker: string; warning: string; critical: string }[]): readonly BreakerLevelsInForce[] {
    const changes: Record<string, string> = {};
    for (const { breaker, warning, critical } of levels) {
      const keys = levelSettings(breaker);
      changes[keys.warning] = cell.percentOrFigure(warning);
      changes[keys.critical] = cell.percentOrFigure(critical);
    }
    this.changeSettings(changes, 'circuit breaker levels');
    return levels.map(({ breaker }) => this.breakerLevelsInForce(breaker));
  }

  registerBreaker(request: CustomBreakerRequest): void {
    this.context.system.breakers.register(request);
  }

  /** A reset as a person asks for it; the log's end before it is remembered, to read what the reset recorded. */
  async resetBreakers(request: ResetRequest): Promise<ResetOutcome> {
    this.context.memory.remember('logMark', BEFORE_THE_RESET, this.context.system.events.mark());
    return this.context.memory.remember('reset', LATEST, await this.context.system.breakers.reset(request));
  }

  /** A change that may be refused: the settings version before it is remembered, and a refusal kept for the Then. */
  async tryToChangeSettings(changes: Readonly<Record<string, string>>, reason: string): Promise<void> {
    this.context.memory.remember('settingsVersion', BEFORE_THE_CHANGE, this.settingsVersion());
    await this.context.errors.attempt(SETTINGS_CHANGE, () => this.changeSettings(changes, reason));
  }

  /** One level of a standard breaker, as typed: the system judges the value (a breaker it does not have is the scenario's mistake, not a refusal). */
  async tryToSetBreakerLevel(breaker: string, level: 'warning' | 'critical', value: string): Promise<void> {
    const key = levelSettings(breaker)[level];
    this.context.memory.remember('settingsVersion', BEFORE_THE_CHANGE, this.settingsVersion());
    await this.context.errors.attempt(SETTINGS_CHANGE, () => this.changeSettings({ [key]: value }, `${breaker} ${level} level`));
  }

  /** A breaker added at runtime, which the system may refuse; the log's end before it is remembered, to show a refusal recorded nothing. */
  async tryToRegisterBreaker(request: CustomBreakerRequest): Promise<void> {
    this.context.memory.remember('logMark', BEFORE_THE_REGISTRATION, this.context.system.events.mark());
    await this.context.errors.attempt(BREAKER_REGISTRATION, () => this.registerBreaker(request));
  }

  /** A reset the system may refuse as bad input (rather than answer with a refused outcome). */
  async tryToResetBreakers(request: ResetRequest): Promise<void> {
    await this.context.errors.attempt(BREAKER_RESET, () => this.resetBreakers(request));
  }

  lastReset(): ResetOutcome {
    return this.context.memory.recall('reset');
  }

  settingsVersion(): number {
    return this.context.system.state.settings.version;
  }

  /** The limits in force, as the system reads its settings. */
  limits(): SystemState['settings']['limits'] {
    return this.context.system.state.settings.limits;
  }

  /** Every setting in force, by key, as the system holds it. */
  settingsInForce(): Readonly<Record<string, string>> {
    return this.context.system.state.settings.snapshot();
  }

  /** One setting in force, by the label a risk officer reads ("max leverage (x)"). */
  limitInForce(label: string): string | undefined {
    return this.settingsInForce()[this.settingKey(label)];
  }

  /** A standard breaker's levels in force, each in the unit the system's label for its setting gives. */
  breakerLevelsInForce(breaker: string): BreakerLevelsInForce {
    const keys = levelSettings(breaker);
    const settings = this.settingsInForce();
    const level = (key: string): BreakerLevelInForce => ({ value: settings[key], unit: /\(([^)]+)\)$/.exec(settingLabel(key))?.[1] });
    return { breaker, warning: level(keys.warning), critical: level(keys.critical) };
  }

  /** The first settings change an actor made, setting by setting: the label, the value before it and the value it set. */
  firstChangeBy(actor: string): { setting: string; from: string | undefined; to: string }[] {
    const changes = this.context.system.events.all().filter((e): e is StoredEvent & EventOf<'SettingsChanged'> => e.type === 'SettingsChanged');
    const change = changes.find(e => e.payload.actor === actor);
    if (!change) throw new Error(`no settings change by ${actor}`);
    const before = (key: string) => changes.filter(e => e.seq < change.seq && key in e.payload.changes).pop()?.payload.changes[key] ?? DEFAULT_SETTINGS[key];
    return Object.entries(change.payload.changes).map(([key, to]) => ({ setting: settingLabel(key), from: before(key), to }));
  }

  /** Exposure with every working order filled, as the pre-trade checks project it. */
  projectedExposure(): { gross: Decimal; net: Decimal; leverage: Decimal | null } {
    return this.context.system.projectedExposure();
  }

  /** The account's gross exposure and leverage on its positions now. */
  accountExposure(): { gross: Decimal; leverage: Decimal | null } {
    const account = this.context.system.state.account();
    return { gross: account.grossExposure, leverage: account.leverage };
  }
}

/** The settings that hold a standard breaker's levels; fails naming the standard breakers. */
function levelSettings(breaker: string): { readonly warning: string; readonly critical: string } {
  const keys = BREAKER_LEVEL_SETTINGS[breaker];
  if (!keys) throw new Error(`no standard breaker "${breaker}"; known: ${Object.keys(BREAKER_LEVEL_SETTINGS).join(', ')}`);
  return keys;
}

/** What a refusal of the risk officer's is kept under, for the Then that checks it ("the settings change is refused"). */
export const SETTINGS_CHANGE = "the risk officer's settings change";
export const BREAKER_REGISTRATION = "the risk officer's registration of a breaker";
export const BREAKER_RESET = "the risk officer's reset of the breakers";

/** What the risk officer's changes are compared with, as the Gherkin says it ("the version they had"). */
export const BEFORE_THE_CHANGE = 'before the change';
export const BEFORE_THE_REGISTRATION = 'before the registration';
export const BEFORE_THE_RESET = 'before the reset';
