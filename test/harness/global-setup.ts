import type { TestProject } from 'vitest/node';
import { acquireTrino, type TrinoAuthSetup } from './trino-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    trinoUrl: string;
    /** Absent when the Trino in use was not started by this harness (TRINO_URL, a container). */
    trinoAuth: TrinoAuthSetup | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const trino = await acquireTrino();
  project.provide('trinoUrl', trino.url);
  project.provide('trinoAuth', trino.auth);
  return () => trino.stop();
}
