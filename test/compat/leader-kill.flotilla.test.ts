// The leader-kill linearizability test on Flotilla.

import { leaderKillSuite } from './leader-kill.js';

leaderKillSuite('flotilla', { skip: false });
