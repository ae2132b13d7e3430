
element.addEventListener('click', async (e) => {
  const t = e.target instanceof Element ? e.target : null;
  const rm = t && t.closest('.doc-remove');
  if (rm) { rm.disabled = true; trigger('remove_doc', {source: rm.dataset.source}); return; }
  const v = t && t.closest('.doc-view');
  if (v) AD.openViewer(await server.view_document({source: v.dataset.source, start: -1, end: -1}));
});
