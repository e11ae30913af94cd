// Photos are shrunk in the browser before upload: a phone photo (4000 × 3000, 5–14 MB) becomes
// a JPEG whose long side is at most 2000 px (about 0.3–1 MB). Drawing on a canvas and encoding
// again keeps only the pixels: EXIF (GPS position, time, camera) is dropped. The photo is turned
// upright by its EXIF orientation first, as the phone showed it.

export const LONG_SIDE_PX = 2000;
export const JPEG_QUALITY = 0.85;

async function decode(file) {
  if (typeof createImageBitmap === "function") {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch {
      /* fall back to an <img> below */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The size (w, h) that fits `width` × `height` into a long side of `longSide`, never larger. */
export function fitted(width, height, longSide = LONG_SIDE_PX) {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/**
 * Shrink one photo: resolves to a JPEG Blob (long side ≤ 2000 px, no EXIF); rejects when the
 * browser cannot read the file as an image.
 */
export async function shrinkPhoto(file, { longSide = LONG_SIDE_PX, quality = JPEG_QUALITY } = {}) {
  const image = await decode(file);
  const width = image.naturalWidth ?? image.width;
  const height = image.naturalHeight ?? image.height;
  if (!width || !height) throw new Error("not an image");
  const [w, h] = fitted(width, height, longSide);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; // transparent PNG areas become white, not black, in a JPEG
  ctx.fillRect(0, 0, w, h);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, w, h);
  image.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  if (!blob) throw new Error("could not encode the photo");
  return blob;
}
