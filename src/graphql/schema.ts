// Imports every type file, then builds the schema. Nothing else belongs here.
import { builder } from './builder.js';
import './types/scalars.js';
import './types/error.js';
import './types/enums.js';
import './types/organization.js';
import './types/role.js';
import './types/operator.js';
import './types/operator-group.js';
import './types/widget.js';
import './types/addon.js';
import './types/preference.js';
import './types/admin-lock.js';
import './types/quiet-time.js';
import './types/settings-change-preview.js';
import './types/delivery.js';
import './types/analytics.js';
import './types/notification-event.js';
import './types/happening.js';
import './types/notification-preview.js';
import './types/notification-stream.js';
import './types/inbox.js';
import './types/attention.js';
import './types/catch-up.js';
import './types/presence.js';
import './types/node.js';
import './types/rate-limits.js';
import './types/host-sign-in.js';
import './types/retention.js';

builder.queryType({ description: "Reads. Every field is scoped to the caller's organization." });
builder.mutationType({ description: 'Changes and reports. A refused mutation returns an AppError and changes nothing.' });

export const schema = builder.toSchema({ sortSchema: true });
