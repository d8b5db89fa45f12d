/**
 * The one entry the Functions host loads (package.json `main`, through the bundle). Every function
 * is registered by importing its module here: this is the only list of functions. The local host
 * loads this same file.
 */
import { app } from '@azure/functions';
import { startTelemetry } from '../shared/platform/telemetry';
import './http/health';
import './http/openapi';
import './http/docs';
import './http/clients';
import './http/users';
import './http/orders';
import './http/notifications';
import './http/providers';
import './http/feed';
import './http/plans';
import './http/checklists';
import './webhooks/sendgrid';
import './webhooks/jelou';
import './webhooks/docusign';
import './relay/outbox';
import './timers/outbox-sweep';
import './timers/compliance-watch';
import './timers/sla-watch';
import './timers/plan-generation';
import './workflows/orders';
import './workflows/providers';
import './workflows/notifications';
import './workflows/feed';
// Last: the catch-all answers only what nothing above matched.
import './http/fallback';

// Telemetry, when a connection string or a local exporter is configured (docs/operations.md,
// "Tracing"): started before any invocation and before the composition root first imports an Azure
// SDK, so the instrumentations see those modules load. Without either setting nothing of
// OpenTelemetry is imported (docs/performance.md).
await startTelemetry(process.env, { app });
