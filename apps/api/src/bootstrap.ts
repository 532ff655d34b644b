import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type AppConfig, JsonLogger, Metrics, PROBLEM_CONTENT_TYPE, ProblemError, redactUrl, toProblemBody } from '@app/platform';
import { MAX_STATEMENT_BYTES } from '@app/payments';
import { AppModule } from './app.module.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** The only route that takes a body other than JSON (text/csv). */
export const CSV_UPLOAD_PATH = '/v1/reconciliation/bank-statements';

export interface ApiAppOptions {
  /** Serve Swagger UI at /docs (needs @fastify/static, which Jest cannot load); else /docs is the JSON. */
  readonly swaggerUi?: boolean;
}

/** Builds the HTTP API (not listening yet): used by main.ts and by the end-to-end tests alike. */
export async function createApiApp(config: AppConfig, o: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: 1024 * 1024,
    // A caller's X-Request-Id is kept when sane, so a request can be followed across systems.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Request logs in the same JSON shape as JsonLogger's: level names, ISO times, the service.
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            base: { service: 'api' },
            formatters: { level: (label: string) => ({ level: label }) },
            timestamp: () => `,"time":"${new Date().toISOString()}"`,
            // Calendar apps pass their feed token in the URL: logs show it masked.
            serializers: {
              req: (req: { method: string; url: string; host?: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip }),
            },
          },
    trustProxy: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new JsonLogger(config.logLevel, 'api'),
    rawBody: true,
    bufferLogs: false,
  });
  app.enableShutdownHooks();

  const metrics = app.get(Metrics);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  // The API speaks JSON: a body of any other type is refused before it is parsed (Nest would
  // otherwise accept form posts and read text/plain as a string).
  fastify.addHook('onRequest', async (req, reply) => {
    if (req.headers['content-length'] === '0' || (req.headers['content-length'] === undefined && !req.headers['transfer-encoding'])) return;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    // The one exception: bank statements are uploaded as the CSV file the bank exported.
    if (type === 'text/csv' && req.method === 'POST' && req.url.split('?')[0] === CSV_UPLOAD_PATH) return;
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      const problem = new ProblemError(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', 'Send the body as application/json');
      return reply.status(415).header('content-type', PROBLEM_CONTENT_TYPE).send(toProblemBody(problem, req.id));
    }
  });
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_STATEMENT_BYTES + 1024 }, (_req, body, done) => done(null, body));
  fastify.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const document = openApiDocument(app);
  if (o.swaggerUi) {
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  } else {
    fastify.get('/docs', async () => document);
    fastify.get('/docs/openapi.json', async () => document);
  }
  await app.init();
  return app;
}

export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('IPv4 marketplace API')
    .setDescription('Leasing and transfer of IPv4 address space: see API.md for the contract.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key or the platform admin token' })
    .addSecurityRequirements('bearer')
    .build();
  return SwaggerModule.createDocument(app, config);
}
