/**
 * A benchmark's helper process (child_process.fork under tsx) answering one IPC command at a time:
 * `ask(command)` resolves with its reply, or rejects with the reply's `error` when `ok` is false.
 * The child sends one message once it is ready.
 */
import { fork } from 'node:child_process';

export async function forkChild<Reply extends { ok: boolean; error?: string }>(path: string, execArgv: string[] = []) {
  const process_ = fork(path, [], { execArgv: ['--import', 'tsx', ...execArgv], stdio: 'inherit' });
  let pending: ((reply: Reply) => void) | null = null;
  process_.on('message', (message) => {
    const resolve = pending;
    pending = null;
    resolve?.(message as Reply);
  });
  await new Promise((resolve) => process_.once('message', resolve));
  const ask = (command: object) =>
    new Promise<Reply>((resolve, reject) => {
      pending = (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error)));
      process_.send(command);
    });
  return { ask, kill: () => process_.kill(), pid: process_.pid ?? 0 };
}
