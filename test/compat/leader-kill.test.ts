// The leader-kill linearizability test proven on real etcd (leader-kill.flotilla.test.ts runs it on Flotilla).

import { leaderKillSuite } from './leader-kill.js';

leaderKillSuite('etcd');
