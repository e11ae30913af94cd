"""Photos of cases: checked, re-encoded without metadata, stored content-addressed on disk.

Only JPEG, PNG and WebP are accepted, recognised from their bytes (Pillow), never from the
file name or the declared content type. Re-encoding from the pixels drops every metadata
block (EXIF with GPS position, XMP, comments) after applying the EXIF orientation. The file
name is the SHA-256 of the stored bytes, so one photo uploaded twice is stored once.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from wanzheng.errors import DataError

__all__ = ["MAX_PIXELS", "StoredPhoto", "photo_path", "store_photo"]

#: Largest accepted image, in pixels (width × height); larger is refused as a bomb.
MAX_PIXELS = 40_000_000

_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """A stored photo: content hash, extension, size in pixels and bytes."""

    sha256: str
    ext: str
    width: int
    height: int
    n_bytes: int


def photo_path(photo_dir: Path, sha256: str, ext: str) -> Path:
    """Where a photo lives: ``<dir>/<first two hex digits>/<sha256>.<ext>``."""
    return photo_dir / sha256[:2] / f"{sha256}.{ext}"


def _clean(data: bytes, *, field: str, max_bytes: int) -> tuple[bytes, str, int, int]:
    if len(data) == 0:
        raise DataError(f"{field}: the file is empty")
    if len(data) > max_bytes:
        raise DataError(f"{field}: {len(data)} bytes is over the limit of {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            fmt = opened.format
            img: Image.Image = opened
            if fmt not in _FORMATS:
                raise DataError(f"{field}: expected a JPEG, PNG or WebP image, got {fmt}")
            if img.width * img.height > MAX_PIXELS:
                raise DataError(
                    f"{field}: {img.width}×{img.height} pixels is over {MAX_PIXELS} pixels"
                )
            img.load()
    except DataError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise DataError(f"{field}: not a readable JPEG, PNG or WebP image") from exc
    img = ImageOps.exif_transpose(img)
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    # A fresh image from the pixels alone carries no info dict, hence no EXIF/XMP/ICC.
    fresh = Image.frombytes(img.mode, img.size, img.tobytes())
    if img.mode == "P":
        palette = img.getpalette()
        if palette is not None:
            fresh.putpalette(palette)
    out = io.BytesIO()
    if fmt == "JPEG":
        fresh.save(out, format="JPEG", quality=88)
    elif fmt == "PNG":
        fresh.save(out, format="PNG", optimize=False)
    else:
        fresh.save(out, format="WEBP", quality=85)
    ext, _ = _FORMATS[fmt]
    return out.getvalue(), ext, fresh.width, fresh.height


def store_photo(
    data: bytes, *, photo_dir: Path, max_bytes: int, field: str = "photos"
) -> StoredPhoto:
    """Check, clean and store one uploaded photo.

    Parameters
    ----------
    data
        The uploaded bytes.
    photo_dir
        Root of the content-addressed store (created if missing).
    max_bytes
        Largest accepted upload, in bytes.
    field
        Name of the form field, used in error messages.

    Raises
    ------
    DataError
        Empty, too large, not JPEG/PNG/WebP, unreadable, or too many pixels.
    """
    clean, ext, w, h = _clean(data, field=field, max_bytes=max_bytes)
    sha = hashlib.sha256(clean).hexdigest()
    path = photo_path(photo_dir, sha, ext)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(clean)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredPhoto(sha256=sha, ext=ext, width=w, height=h, n_bytes=len(clean))
