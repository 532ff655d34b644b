// Jest loads the test sequencer outside its module system, so this file is plain JavaScript.
import Sequencer from '@jest/test-sequencer';

/** Test files that move the shared sandbox clock by weeks: they run after every other file. */
const TRAVELS_THE_CLOCK = '.clock-e2e-spec.ts';

/**
 * Jest's default order (failed first, then slowest first), except that the files travelling
 * the sandbox clock come last. Every file of a run shares one database and one clock, so a
 * month of clock travel in the middle of the run would push other files' leases, escrows
 * and deadlines past their dates. With --runInBand (npm test) they run alone at the end; with
 * parallel workers they start last, but may still overlap the slowest files.
 */
export default class ClockTravelLastSequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const travels = (test) => test.path.endsWith(TRAVELS_THE_CLOCK);
    return [...sorted.filter((test) => !travels(test)), ...sorted.filter(travels)];
  }
}
