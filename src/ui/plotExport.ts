// "Download SVG" and "Download PNG" for the plots. The SVG is Observable Plot's own element, serialised
// as is (Plot inlines its styles in a <style> child, so the file renders the same elsewhere); the PNG is
// that SVG drawn on a canvas at 2× with a white background.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A safe, descriptive file name: "rapt-lab-p-unchanged-2025-01-31.svg" (plots, and the runs and spec files). */
export function exportFileName(stem: string, extension: 'svg' | 'png' | 'json' | 'csv', date = new Date()): string {
  const slug = stem
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `rapt-lab-${slug || 'plot'}-${date.toISOString().slice(0, 10)}.${extension}`;
}

export function svgMarkup(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', SVG_NS);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started once click() returns; revoke a little later for slow browsers.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadSvg(svg: SVGSVGElement, stem: string): void {
  saveBlob(new Blob([svgMarkup(svg)], { type: 'image/svg+xml' }), exportFileName(stem, 'svg'));
}

export async function svgToPng(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const width = svg.width.baseVal.value || svg.getBoundingClientRect().width;
  const height = svg.height.baseVal.value || svg.getBoundingClientRect().height;
  const url = URL.createObjectURL(new Blob([svgMarkup(svg)], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'async';
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('This browser could not create a 2D canvas for the PNG.');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the PNG.'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function downloadPng(svg: SVGSVGElement, stem: string): Promise<void> {
  saveBlob(await svgToPng(svg), exportFileName(stem, 'png'));
}
