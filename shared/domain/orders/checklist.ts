/**
 * An order's checklist (issue 18): items copied from its plan or set by staff at triage, each
 * answered by the assigned provider — done, not applicable, or failed with a note and a photo.
 * `complete` is refused while an item is unanswered; a failed item's evidence can open a follow-up
 * corrective order (docs/plans.md). Pure rules; the lifecycle table (lifecycle.ts) calls them.
 */
export const CHECKLIST_RESULTS = ['done', 'not-applicable', 'failed'] as const;
export type ChecklistResult = (typeof CHECKLIST_RESULTS)[number];

export interface ChecklistAnswer {
  readonly result: ChecklistResult;
  readonly note?: string;
  /** A photo of the order (an attachment of kind `evidence`); required for `failed`. */
  readonly attachmentId?: string;
  readonly at: string;
  readonly by: string;
}

export interface ChecklistItem {
  readonly id: string;
  readonly label: string;
  readonly answer?: ChecklistAnswer;
}

/** What a provider sends for one item. */
export interface ChecklistItemAnswer {
  readonly itemId: string;
  readonly result: ChecklistResult;
  readonly note?: string;
  readonly attachmentId?: string;
}

export interface ChecklistProblem {
  readonly field: string;
  readonly message: string;
}

export const MAX_CHECKLIST_ITEMS = 50;

/** A fresh, unanswered checklist from items (a plan's template or the triage body). */
export function newChecklist(items: readonly { readonly id: string; readonly label: string }[]): ChecklistItem[] {
  return items.map((i) => ({ id: i.id, label: i.label }));
}

/** Problems of checklist items given at triage: duplicate ids, too many. */
export function checklistItemsProblems(items: readonly { readonly id: string }[], field = 'checklist'): ChecklistProblem[] {
  const problems: ChecklistProblem[] = [];
  if (items.length > MAX_CHECKLIST_ITEMS) problems.push({ field, message: `at most ${MAX_CHECKLIST_ITEMS} items` });
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) problems.push({ field: `${field}.${i}.id`, message: 'duplicate item id' });
    seen.add(item.id);
  });
  return problems;
}

/** Why these answers cannot be recorded on this checklist (field errors), empty when they can. */
export function answerProblems(
  checklist: readonly ChecklistItem[] | undefined,
  answers: readonly ChecklistItemAnswer[],
): ChecklistProblem[] {
  if (!checklist?.length) return [{ field: 'answers', message: 'the order has no checklist' }];
  if (!answers.length) return [{ field: 'answers', message: 'at least one answer' }];
  const problems: ChecklistProblem[] = [];
  const ids = new Set(checklist.map((i) => i.id));
  const seen = new Set<string>();
  answers.forEach((a, i) => {
    if (!ids.has(a.itemId)) problems.push({ field: `answers.${i}.itemId`, message: `no item ${a.itemId} on this checklist` });
    if (seen.has(a.itemId)) problems.push({ field: `answers.${i}.itemId`, message: 'answered twice' });
    seen.add(a.itemId);
    if (a.result === 'failed') {
      if (!a.note?.trim()) problems.push({ field: `answers.${i}.note`, message: 'a failed item needs a note' });
      if (!a.attachmentId) problems.push({ field: `answers.${i}.attachmentId`, message: 'a failed item needs a photo' });
    }
  });
  return problems;
}

/** The checklist with these answers recorded (a later answer to an item replaces the earlier one). */
export function applyAnswers(
  checklist: readonly ChecklistItem[],
  answers: readonly ChecklistItemAnswer[],
  at: string,
  by: string,
): ChecklistItem[] {
  const byItem = new Map(answers.map((a) => [a.itemId, a]));
  return checklist.map((item) => {
    const a = byItem.get(item.id);
    if (!a) return item;
    const answer: ChecklistAnswer = {
      result: a.result,
      ...(a.note?.trim() ? { note: a.note.trim() } : {}),
      ...(a.attachmentId ? { attachmentId: a.attachmentId } : {}),
      at,
      by,
    };
    return { ...item, answer };
  });
}

/** The items still unanswered, as the field errors `complete` is refused with. */
export function unansweredProblems(checklist: readonly ChecklistItem[] | undefined): ChecklistProblem[] {
  return (checklist ?? []).flatMap((item, i) =>
    item.answer ? [] : [{ field: `checklist.${i}`, message: `item ${item.id} (${item.label}) is not answered` }],
  );
}

/** The failed item a follow-up may be opened from, or why not. */
export function followUpSource(
  checklist: readonly ChecklistItem[] | undefined,
  itemId: string,
): { item: ChecklistItem & { answer: ChecklistAnswer } } | { problem: string } {
  const item = checklist?.find((i) => i.id === itemId);
  if (!item) return { problem: `no item ${itemId} on this checklist` };
  if (item.answer?.result !== 'failed') return { problem: `item ${itemId} did not fail` };
  return { item: item as ChecklistItem & { answer: ChecklistAnswer } };
}
