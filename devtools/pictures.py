"""Generated photo-like pictures for the demo, the tests and the picture benchmark.

A flat placeholder hashes to nothing useful (PDQ calls it too flat to match),
and two placeholders would match each other. These have what a photo has at
the scale a perceptual hash looks at: light falling from one side, a texture
with a natural image's spectrum (amplitude falling as 1/f^1.6: clouds,
foliage), a few objects with hard edges, and sensor grain; all drawn from one
seed, so the same seed always gives the same picture, and two seeds give
pictures PDQ tells apart (never closer than distance 90 in 5,000 of them).
"""

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SPECTRUM_SLOPE = 1.6


def _texture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Three channels of noise whose amplitude falls as 1/f^SPECTRUM_SLOPE, partly shared.

    Made at a quarter of the size and enlarged: what the slope leaves of the finer
    detail is too faint to matter, and it costs a sixteenth of the time."""
    small_w, small_h = max(32, width // 4), max(32, height // 4)
    fy = np.fft.fftfreq(small_h)[:, None]
    fx = np.fft.rfftfreq(small_w)[None, :]
    frequency = np.sqrt(fx**2 + fy**2)
    frequency[0, 0] = 1
    amplitude = frequency**-SPECTRUM_SLOPE
    amplitude[0, 0] = 0
    channels = []
    for _ in range(3):
        spectrum = amplitude * (
            rng.normal(size=amplitude.shape) + 1j * rng.normal(size=amplitude.shape)
        )
        channel = np.fft.irfft2(spectrum, s=(small_h, small_w)).astype(np.float32)
        channel /= channel.std() or 1
        enlarged = Image.fromarray(channel, "F").resize((width, height), Image.Resampling.BICUBIC)
        channels.append(np.asarray(enlarged, np.float32))
    noise = np.stack(channels, axis=-1)
    return 0.6 * noise[..., :1] + 0.4 * noise


def picture_make(
    seed: int, *, width: int = 640, height: int = 480, grain: float = 5.0
) -> Image.Image:
    """An RGB picture, the same one for the same seed and size (`grain`: its noise, 0 for
    none, which compresses far better)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height + 1.5) / 3
    start, end = rng.uniform(30, 225, size=(2, 3)).astype(np.float32)
    pixels = start + ramp[..., None] * (end - start) + 40 * _texture(rng, width, height)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB").convert("RGBA")
    objects = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(objects)
    scale = min(width, height)
    for _ in range(int(rng.integers(3, 9))):
        colour = (*(int(c) for c in rng.integers(0, 256, size=3)), int(rng.integers(140, 256)))
        x, y = float(rng.uniform(0, width)), float(rng.uniform(0, height))
        w, h = (float(v) for v in rng.uniform(0.08, 0.4, size=2) * scale)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse((x - w, y - h, x + w, y + h), fill=colour)
        elif kind == 1:
            draw.rectangle((x - w, y - h, x + w, y + h), fill=colour)
        else:
            corners = int(rng.integers(3, 7))
            turns = np.sort(rng.uniform(0, 2 * np.pi, size=corners))
            reach = rng.uniform(0.4, 1.0, size=corners)
            draw.polygon(
                [
                    (x + float(r * w * np.cos(t)), y + float(r * h * np.sin(t)))
                    for t, r in zip(turns, reach, strict=True)
                ],
                fill=colour,
            )
    image = Image.alpha_composite(image, objects).convert("RGB")
    image = image.filter(ImageFilter.GaussianBlur(radius=max(0.5, scale / 480)))
    if not grain:
        return image
    noise = rng.normal(0, grain, size=(height, width, 1)).astype(np.float32)
    pixels = np.asarray(image, np.float32) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def picture_bytes(
    seed: int, *, width: int = 640, height: int = 480, fmt: str = "JPEG", quality: int = 90
) -> bytes:
    """`picture_make` encoded as a file (JPEG, PNG, WebP, GIF…)."""
    out = io.BytesIO()
    image = picture_make(seed, width=width, height=height)
    if fmt.upper() in ("JPEG", "WEBP"):
        image.save(out, format=fmt, quality=quality)
    else:
        image.save(out, format=fmt)
    return out.getvalue()
