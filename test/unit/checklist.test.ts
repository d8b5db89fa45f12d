import { describe, expect, it } from 'vitest';
import {
  answerProblems,
  applyAnswers,
  checklistItemsProblems,
  followUpSource,
  newChecklist,
  unansweredProblems,
} from '../../shared/domain/orders/checklist';
import { decide } from '../../shared/domain/orders/lifecycle';
import type { Order } from '../../shared/domain/orders/order';

const list = newChecklist([
  { id: 'filters', label: 'Filters changed' },
  { id: 'drain', label: 'Drain clear' },
]);

describe('order checklists', () => {
  it('a new checklist is unanswered, and complete is refused naming every open item', () => {
    expect(unansweredProblems(list)).toEqual([
      { field: 'checklist.0', message: 'item filters (Filters changed) is not answered' },
      { field: 'checklist.1', message: 'item drain (Drain clear) is not answered' },
    ]);
    expect(unansweredProblems(undefined)).toEqual([]);
  });

  it('answers are recorded with who and when; a later answer replaces the earlier', () => {
    const once = applyAnswers(list, [{ itemId: 'filters', result: 'done' }], 't1', 'u1');
    const twice = applyAnswers(
      once,
      [
        { itemId: 'filters', result: 'not-applicable', note: ' none fitted ' },
        { itemId: 'drain', result: 'done' },
      ],
      't2',
      'u2',
    );
    expect(twice).toEqual([
      { id: 'filters', label: 'Filters changed', answer: { result: 'not-applicable', note: 'none fitted', at: 't2', by: 'u2' } },
      { id: 'drain', label: 'Drain clear', answer: { result: 'done', at: 't2', by: 'u2' } },
    ]);
    expect(unansweredProblems(twice)).toEqual([]);
  });

  it('a failed item needs a note and a photo; unknown or repeated items are refused', () => {
    expect(answerProblems(list, [{ itemId: 'drain', result: 'failed' }]).map((p) => p.field)).toEqual([
      'answers.0.note',
      'answers.0.attachmentId',
    ]);
    expect(answerProblems(list, [{ itemId: 'drain', result: 'failed', note: 'blocked', attachmentId: 'att_1' }])).toEqual([]);
    expect(
      answerProblems(list, [
        { itemId: 'x', result: 'done' },
        { itemId: 'filters', result: 'done' },
        { itemId: 'filters', result: 'done' },
      ]).map((p) => p.field),
    ).toEqual(['answers.0.itemId', 'answers.2.itemId']);
    expect(answerProblems(undefined, [{ itemId: 'x', result: 'done' }])).toEqual([
      { field: 'answers', message: 'the order has no checklist' },
    ]);
    expect(answerProblems(list, [])).toEqual([{ field: 'answers', message: 'at least one answer' }]);
  });

  it('only a failed item opens a follow-up', () => {
    const answered = applyAnswers(
      list,
      [
        { itemId: 'filters', result: 'done' },
        { itemId: 'drain', result: 'failed', note: 'blocked', attachmentId: 'att_1' },
      ],
      't',
      'u',
    );
    expect(followUpSource(answered, 'drain')).toMatchObject({ item: { id: 'drain', answer: { attachmentId: 'att_1' } } });
    expect(followUpSource(answered, 'filters')).toEqual({ problem: 'item filters did not fail' });
    expect(followUpSource(answered, 'nope')).toEqual({ problem: 'no item nope on this checklist' });
  });

  it('triage items: no duplicate ids', () => {
    expect(checklistItemsProblems([{ id: 'a' }, { id: 'a' }])).toEqual([
      { field: 'checklist.1.id', message: 'duplicate item id' },
    ]);
  });
});

describe('checklists in the lifecycle table', () => {
  const order = {
    id: 'ord_1',
    clientId: 'cli_1',
    siteId: 'sit_1',
    category: 'hvac',
    priority: 'P4',
    title: 't',
    description: 'd',
    requester: { userId: 'u', name: 'u' },
    channel: 'plan',
    status: 'SUBMITTED',
    createdAt: '2026-03-02T12:00:00.000Z',
    updatedAt: '2026-03-02T12:00:00.000Z',
    version: 1,
  } as const satisfies Order;
  const operator = { userId: 'op', role: 'operator' } as const;
  const now = '2026-03-02T13:00:00.000Z';

  it('staff set the checklist at triage; duplicate item ids are a field error', () => {
    const triaged = decide(order, 'triage', operator, { checklist: [{ id: 'a', label: 'A' }] }, now);
    expect(triaged.order.checklist).toEqual([{ id: 'a', label: 'A' }]);
    expect(() =>
      decide(
        order,
        'triage',
        operator,
        {
          checklist: [
            { id: 'a', label: 'A' },
            { id: 'a', label: 'B' },
          ],
        },
        now,
      ),
    ).toThrow(expect.objectContaining({ fieldErrors: [{ field: 'checklist.1.id', message: 'duplicate item id' }] }));
  });

  it('only the assigned provider answers, while working; complete waits for every answer', () => {
    const working: Order = { ...order, status: 'IN_PROGRESS', providerId: 'prv_1', checklist: list };
    const provider = { userId: 'p', role: 'provider', providerId: 'prv_1' } as const;
    const other = { userId: 'q', role: 'provider', providerId: 'prv_2' } as const;
    expect(() => decide(working, 'answer-checklist', other, { answers: [{ itemId: 'filters', result: 'done' }] }, now)).toThrow(
      /assigned provider/,
    );
    expect(() =>
      decide(working, 'answer-checklist', operator, { answers: [{ itemId: 'filters', result: 'done' }] }, now),
    ).toThrow(/may not/);
    expect(() => decide(working, 'complete', provider, { report: 'ok', attachmentIds: ['att_1'] }, now)).toThrow(
      expect.objectContaining({ fieldErrors: unansweredProblems(list) }),
    );
    const answered = decide(
      working,
      'answer-checklist',
      provider,
      {
        answers: [
          { itemId: 'filters', result: 'done' },
          { itemId: 'drain', result: 'not-applicable' },
        ],
      },
      now,
    );
    expect(answered.order.status).toBe('IN_PROGRESS');
    expect(answered.history[0]).toMatchObject({ action: 'answer-checklist', from: 'IN_PROGRESS', to: 'IN_PROGRESS' });
    expect(decide(answered.order, 'complete', provider, { report: 'ok', attachmentIds: ['att_1'] }, now).order.status).toBe(
      'WORK_COMPLETED',
    );
  });
});
