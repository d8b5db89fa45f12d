import { registerWorkflow } from './register';

// The Orders issue adds its handlers (SLA clocks, quote deadlines); the subscription exists today.
registerWorkflow('orders-workflow', async () => ({}));
