import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { users } from '../wiring';
import { meExample, preferencesExample, updateUserExample, userExample } from './examples';
import { registerEndpoint } from './register';
import { meSchema, preferencesSchema, updateUserBody, userIdParams, userSchema } from './schemas';

registerEndpoint(
  defineEndpoint({
    name: 'me-get',
    method: 'GET',
    route: 'v1/me',
    summary:
      'The caller’s profile and roles; a stored profile of another role or tenant than the token’s is not used (`stored: false`, `profileMismatch`)',
    tags: ['users'],
    auth: 'bearer',
    responses: { 200: { description: 'The profile', schema: meSchema, example: meExample } },
    handler: async (ctx) => {
      const me = await users.me(ctx);
      return {
        status: 200,
        body: {
          ...me.profile,
          roles: [ctx.principal.role],
          stored: me.etag !== undefined,
          ...(me.mismatch ? { profileMismatch: me.mismatch } : {}),
        },
        ...(me.etag ? { etag: me.etag } : {}),
      };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'me-preferences-put',
    method: 'PUT',
    route: 'v1/me/preferences',
    summary: 'Choose notification channels and locale; 409 while the stored profile disagrees with the token',
    tags: ['users'],
    auth: 'bearer',
    body: preferencesSchema,
    requestExample: preferencesExample,
    conditional: true,
    errors: [409],
    responses: { 200: { description: 'The updated profile', schema: userSchema, example: userExample } },
    handler: async (ctx) => {
      const saved = await users.updatePreferences(ctx, ctx.body, ctx.ifMatch);
      return { status: 200, body: saved.value, etag: saved.etag };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'users-put',
    method: 'PUT',
    route: 'v1/users/{userId}',
    summary:
      'Set a user’s role, scope, contact data and approval limit (admin, operator); a WhatsApp number already on another profile is a 409',
    tags: ['users'],
    auth: 'bearer',
    params: userIdParams,
    body: updateUserBody,
    requestExample: updateUserExample,
    conditional: true,
    errors: [409, 422],
    responses: {
      200: { description: 'Updated', schema: userSchema, example: userExample },
      201: { description: 'Created', schema: userSchema, example: userExample },
    },
    handler: async (ctx) => {
      const { profile, created } = await users.update(ctx, ctx.params.userId, ctx.body, ctx.ifMatch);
      return { status: created ? 201 : 200, body: profile.value, etag: profile.etag };
    },
  }),
);
