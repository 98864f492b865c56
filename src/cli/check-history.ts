import type { Subcommand } from './main.js';

export const checkHistory: Subcommand = {
  summary: 'check a recorded client history for linearizability',
  async run(): Promise<number> {
    process.stderr.write('flotilla check-history: not built yet\n');
    return 2;
  },
};
