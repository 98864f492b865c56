// etcdserverpb.Auth. Auth is never enabled yet: Authenticate answers as etcd does with auth
// disabled (so clients given credentials learn why), the rest is Unimplemented (by the adapter).
// Clients without credentials never call this service.

import { apiError } from './errors.js';
import type { Service } from './service.js';

export function authService(): Service {
  return {
    name: 'etcdserverpb.Auth',
    methods: [
      {
        kind: 'unary',
        name: 'Authenticate',
        async handle() {
          throw apiError('AuthNotEnabled');
        },
      },
    ],
  };
}
