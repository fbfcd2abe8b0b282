export { prepareImages, toUint8Images, toRawImages, resizeAndCrop, fitGeometry } from './prepare-images.js';
export type { PrepareImagesOptions } from './prepare-images.js';
export { resizeBicubic } from './pillow-resize.js';
export type { RawImage, DrawableImage, ImageInput, ImagesInput, Pixels } from './pixels.js';
