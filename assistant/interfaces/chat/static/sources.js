
watch('value', () => element.querySelectorAll('.passage').forEach(AD.toMark));
element.addEventListener('click', async (e) => {
  const b = e.target instanceof Element && e.target.closest('.view-doc');
  if (!b) return;
  const d = b.dataset;
  AD.openViewer(await server.view_document({source: d.source, start: Number(d.start), end: Number(d.end)}));
});
