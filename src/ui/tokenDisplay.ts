// How tokens are shown. SentencePiece marks a word start with '▁', which the tokenizer's displayOf turns
// into a leading space; in running text that space stays a space (outside the highlight), in tables it is
// shown as a visible '▁' so " the" and "the" can be told apart.

export const WORD_START_MARK = '▁';

export function splitWordStart(display: string): { wordStart: boolean; body: string } {
  return display.startsWith(' ') ? { wordStart: true, body: display.slice(1) } : { wordStart: false, body: display };
}

/** "k of n tokens changed" (and how many passed through unprivatised, if any). */
export function changedSummary(tokens: readonly { changed: boolean; passThrough: boolean }[]): string {
  const changed = tokens.filter((t) => t.changed).length;
  const passThrough = tokens.filter((t) => t.passThrough).length;
  const base = `${changed} of ${tokens.length} token${tokens.length === 1 ? '' : 's'} changed`;
  return passThrough ? `${base} (${passThrough} passed through unprivatised)` : base;
}
