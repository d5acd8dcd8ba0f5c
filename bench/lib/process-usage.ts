import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
export function processUsage(pid: number): { cpu: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
  return { cpu: ticks / 100, rss: rssPages * 4096 };
}

/** The RabbitMQ broker's process (the Erlang VM) on this machine. */
export function brokerPid(): number {
  return Number(execFileSync('pgrep', ['-x', 'beam.smp'], { encoding: 'utf8' }).split('\n')[0]);
}
