import { registerWorkflow } from './register';

// The Providers issue adds its handlers (compliance, scorecards); the subscription exists today.
registerWorkflow('providers-workflow', async () => ({}));
