import { DEADLINE_KINDS, type DeadlineKind, type ThresholdName } from './deadline.js';

const WHEN: Record<ThresholdName, string> = {
  P30D: 'due within 30 days',
  P7D: 'due within 7 days',
  P1D: 'due within a day',
  overdue: 'OVERDUE',
};

/** The e-mail for one notification (pure). */
export function notificationMail(
  n: { kind: DeadlineKind; threshold: ThresholdName; due_at: Date; title: string; deadline_id: string; subject_type: string; subject_id: string },
  baseUrl: string,
): { subject: string; body: string } {
  const subject = `[IPv4 market] ${WHEN[n.threshold]}: ${n.title}`.slice(0, 300);
  const body = [
    `${n.title}`,
    '',
    `Due: ${n.due_at.toISOString()} (${WHEN[n.threshold]})`,
    `What it is: ${DEADLINE_KINDS[n.kind]}.`,
    `About: ${n.subject_type} ${n.subject_id}`,
    `Deadline: ${n.deadline_id}`,
    '',
    `Every deadline of your organisation: ${baseUrl}/v1/deadlines (or subscribe to ${baseUrl}/v1/deadlines.ics).`,
    'You receive this because your organisation lists you as an operations contact (PUT /v1/notification-settings).',
  ].join('\n');
  return { subject, body };
}
