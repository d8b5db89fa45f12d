import { describe, expect, it } from 'vitest';
import {
  answerProblems,
  applyAnswers,
  checklistItemsProblems,
  followUpSource,
  newChecklist,
  unansweredProblems,
} from '../../shared/domain/orders/checklist';

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
