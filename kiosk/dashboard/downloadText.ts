/**
 * Hands `text` to the browser as a file download named `fileName` (CSV exports). The file starts
 * with a byte-order mark: without it Excel reads UTF-8 as a legacy code page and garbles accented
 * names (our own import strips it again).
 */
export function downloadText(fileName: string, text: string, type = 'text/csv'): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([`\uFEFF${text}`], { type: `${type};charset=utf-8` }));
  link.download = fileName;
  link.click();
  // Revoked later: the download may still be reading the blob when click() returns.
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
