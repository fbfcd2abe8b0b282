import { InputError } from '@titok/core';
import { IMAGENET_CLASSES, findImagenetClasses, imagenetClassName, resolveClassLabel } from './imagenet-classes.js';

describe('ImageNet classes', () => {
  it('ships 1000 non-empty names in ILSVRC order', () => {
    expect(IMAGENET_CLASSES.length).toBe(1000);
    expect(IMAGENET_CLASSES.every((n) => n.trim().length > 0)).toBe(true);
    expect(imagenetClassName(0)).toBe('tench');
    expect(imagenetClassName(207)).toBe('golden retriever');
    expect(imagenetClassName(281)).toBe('tabby');
    expect(imagenetClassName(999)).toBe('toilet tissue');
  });

  it.each([
    [207, 207],
    ['207', 207],
    [' 3 ', 3],
    ['golden retriever', 207],
    ['Golden  Retriever', 207],
    ['tabby cat', 281],
    ['tiger shark, Galeocerdo cuvieri', 3],
    ['Galeocerdo cuvieri', 3],
  ])('resolves %p to %p', (input, label) => {
    expect(resolveClassLabel(input)).toBe(label);
  });

  it('finds both classes of a duplicated name', () => {
    expect(findImagenetClasses('crane')).toEqual([134, 517]);
  });

  it.each([
    [1000, 1000, /class 1000 is out of range: this generator has classes 0..999/],
    [-1, 1000, /out of range/],
    [2.5, 1000, /out of range/],
    ['10', 10, /class 10 is out of range: this generator has classes 0..9/],
    ['crane', 1000, /ambiguous: ImageNet classes 134 and 517/],
    ['golden retreiver', 1000, /unknown ImageNet class name 'golden retreiver'/],
    ['retriever', 1000, /did you mean 205 \(flat-coated retriever\), 206 \(curly-coated retriever\), 207 \(golden retriever\)/],
    ['tench', 10, /names are ImageNet classes, but this generator has 10 classes/],
    [null as unknown as string, 1000, /must be an index or an ImageNet class name/],
  ])('refuses %p (of %p classes) with a clear message', (input, classes, message) => {
    expect(() => resolveClassLabel(input, classes)).toThrow(InputError);
    expect(() => resolveClassLabel(input, classes)).toThrow(message);
  });
});
