import { InputError } from '@titok/core';
import { IMAGENET_CLASSES } from './imagenet-class-names.js';

export { IMAGENET_CLASSES };

/** Number of ImageNet-1k classes. */
export const IMAGENET_NUM_CLASSES = 1000;

/** A class given by index (`207`, `'207'`) or by an ImageNet name (`'golden retriever'`). */
export type ClassLabelInput = number | string;

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

let index: Map<string, number[]> | undefined;

function nameIndex(): Map<string, number[]> {
  if (!index) {
    index = new Map();
    IMAGENET_CLASSES.forEach((entry, i) => {
      const keys = new Set([norm(entry), ...entry.split(',').map(norm)]);
      for (const k of keys) {
        if (!k) continue;
        const list = index!.get(k) ?? [];
        list.push(i);
        index!.set(k, list);
      }
    });
  }
  return index;
}

/** The short name of an ImageNet class (the first synonym), e.g. 207 -> `golden retriever`. */
export function imagenetClassName(label: number): string {
  const entry = IMAGENET_CLASSES[label];
  if (entry === undefined) throw new InputError(`ImageNet class ${label} does not exist: classes are 0..999`);
  return entry.split(',')[0]!.trim();
}

/**
 * Finds the ImageNet classes whose names match `name`: case-insensitively, the whole entry or
 * any one of its comma-separated synonyms (`'tabby'`, `'tabby cat'`, `'Egyptian cat'`).
 * Returns every matching index (two for `crane` and `maillot`).
 */
export function findImagenetClasses(name: string): number[] {
  return [...(nameIndex().get(norm(name)) ?? [])];
}

/**
 * Finds `name` in a model's own class list: case-insensitively, the whole name or one of its
 * '/'-separated parts (`'t-shirt/top'` answers to `'T-shirt'` and `'top'`). Returns every match.
 */
export function findClassName(name: string, classNames: readonly string[]): number[] {
  const n = norm(name);
  const out: number[] = [];
  classNames.forEach((entry, i) => {
    if (norm(entry) === n || entry.split('/').some((part) => norm(part) === n)) out.push(i);
  });
  return out;
}

/**
 * Turns a class given by index or name into a label in [0, numClasses). Names are looked up in
 * `classNames` when the model has its own (Fashion-MNIST's `'sneaker'`), else among ImageNet's.
 *
 * @param numClasses - the generator's number of classes; ImageNet names need the 1000 classes
 * @param classNames - the model's own class names, by label
 * @throws InputError for an index out of range, an unknown or ambiguous name
 */
export function resolveClassLabel(input: ClassLabelInput, numClasses = IMAGENET_NUM_CLASSES, classNames?: readonly string[]): number {
  let label: number;
  if (typeof input === 'number') {
    label = input;
  } else if (typeof input === 'string' && /^\s*\d+\s*$/.test(input)) {
    label = Number(input);
  } else if (typeof input === 'string' && classNames) {
    const found = findClassName(input, classNames);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new InputError(`class name '${input.trim()}' is ambiguous: classes ${found.join(' and ')} are both called that; give the index`);
    throw new InputError(`unknown class name '${input.trim()}': this generator's classes are ${classNames.map((c, i) => `${i} ${c}`).join(', ')}`);
  } else if (typeof input === 'string') {
    if (numClasses !== IMAGENET_NUM_CLASSES) {
      throw new InputError(`class '${input}': names are ImageNet classes, but this generator has ${numClasses} classes; give an index in 0..${numClasses - 1}`);
    }
    const found = findImagenetClasses(input);
    if (found.length === 1) return found[0]!;
    if (found.length > 1) {
      throw new InputError(`class name '${input.trim()}' is ambiguous: ImageNet classes ${found.join(' and ')} are both called that; give the index`);
    }
    const n = norm(input);
    const near = n.length >= 3 ? IMAGENET_CLASSES.map((e, i) => [e, i] as const).filter(([e]) => norm(e).includes(n)).slice(0, 3) : [];
    const hint = near.length ? `; did you mean ${near.map(([e, i]) => `${i} (${e.split(',')[0]})`).join(', ')}?` : '';
    throw new InputError(`unknown ImageNet class name '${input.trim()}'${hint}`);
  } else {
    throw new InputError(`a class must be an index or an ImageNet class name, got ${JSON.stringify(input)}`);
  }
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new InputError(`class ${input} is out of range: this generator has classes 0..${numClasses - 1}`);
  }
  return label;
}
