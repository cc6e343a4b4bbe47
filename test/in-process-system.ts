import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, VirtualClock } from '../domain/shared';
import { TradingSystem } from '../domain/trading-system';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

/** A system funded with 100,000 USD on its own log over the in-process broker, both closed when the test ends. */
export function fundedSystem(t: { after: (fn: () => Promise<void>) => void }): { clock: VirtualClock; core: BrokerSimulatorCore; gateway: InProcessBrokerGateway; system: TradingSystem } {
  const dir = mkdtempSync(join(tmpdir(), 'in-process-system-'));
  const clock = new VirtualClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  const gateway = new InProcessBrokerGateway(core);
  const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: gateway, clock, circuitBreakers: 'disarmed' });
  t.after(async () => {
    system.close();
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });
  core.deposit(new Decimal(100_000));
  system.fund('100000');
  return { clock, core, gateway, system };
}
