/**
 * `GET /api/v1/orders/{id}` without the local host: the registered function's handler invoked with
 * an `HttpRequest` and an `InvocationContext` constructed from `@azure/functions`, as the Azure
 * worker does once the host has handed it the request. What this measures is what Azure runs of
 * ours (the pipeline, auth, validation, the use case, the repository and the JSON body) plus the
 * library's request object, without the HTTP exchange with the local host, which in Azure is the
 * platform's front end and not in this process.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { HttpResponseInit } from '@azure/functions';
import { currentFunctionsCore } from '../local/functions-core';
import { invocationRequest, invokeAsWorker, newTraceContext } from '../local/worker/invoke';
import type { RpcHttpData } from '../local/worker/rpc';

export function inProcessOrderGet(opts: { baseUrl: string; token: string; orderId: string }): () => Promise<void> {
  // Required here, after the stack installed the core shim; the library is CommonJS, whose classes
  // Node cannot list as named ESM exports.
  const { HttpRequest, InvocationContext } = createRequire(import.meta.url)(
    '@azure/functions',
  ) as typeof import('@azure/functions');
  const registration = currentFunctionsCore()
    ?.registrations()
    .find((r) => r.name === 'orders-get');
  if (!registration) throw new Error('orders-get is not registered: start the local stack first');
  const url = `${opts.baseUrl}/api/v1/orders/${opts.orderId}`;
  const host = new URL(opts.baseUrl).host;
  return async () => {
    // The headers the host forwards for the bench's client request (node:http, keep-alive).
    const request = new HttpRequest({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${opts.token}`, host, connection: 'keep-alive' },
      params: { orderId: opts.orderId },
    });
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: registration.name,
      traceContext: newTraceContext(),
    });
    const response = (await registration.handler(request, context)) as HttpResponseInit;
    if (response.status !== 200 || typeof response.body !== 'string')
      throw new Error(`in-process get answered ${response.status}`);
  };
}

/**
 * The same read as the worker performs it: the programming model builds the arguments from the RPC
 * request (`getArguments`), calls the handler and turns its answer into the RPC response
 * (`getResponse`, which wraps the body in a web `Response` and reads it back) — everything the Azure
 * worker process runs, without the host's HTTP exchange. Informative: it shows what the library adds.
 */
export function inWorkerOrderGet(opts: { baseUrl: string; token: string; orderId: string }): () => Promise<void> {
  const core = currentFunctionsCore();
  const registration = core?.registrations().find((r) => r.name === 'orders-get');
  if (!core || !registration) throw new Error('orders-get is not registered: start the local stack first');
  const http: RpcHttpData = {
    method: 'GET',
    url: `${opts.baseUrl}/api/v1/orders/${opts.orderId}`,
    headers: { authorization: `Bearer ${opts.token}`, host: new URL(opts.baseUrl).host, connection: 'keep-alive' },
    query: {},
    params: { orderId: opts.orderId },
    identities: [],
  };
  return async () => {
    const request = invocationRequest(registration, { trigger: { http } });
    const response = await invokeAsWorker(registration, request, { core, log: () => undefined });
    if (response.returnValue?.http?.statusCode !== '200') throw new Error('in-worker get did not answer 200');
  };
}
