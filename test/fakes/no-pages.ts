import type { QueryEngine } from '../../src/ports/query-engine.ts';

/** For a hand-written engine of one test that never keeps a query open: resume fails loudly, cancel does nothing. */
export const noPages: Pick<QueryEngine, 'resume' | 'cancel'> = {
  resume() {
    throw new Error('this test engine keeps no query open');
  },
  cancel: () => Promise.resolve(),
};
