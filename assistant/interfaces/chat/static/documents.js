
element.addEventListener('click', async (e) => {
  const t = e.target instanceof Element ? e.target : null;
  const li = t && t.closest('li');
  const yes = t && t.closest('.doc-remove-yes');
  if (yes) { yes.disabled = true; trigger('remove_doc', {source: yes.dataset.source}); return; }
  if (t && t.closest('.doc-remove-no')) { li.querySelector('.doc-confirm')?.remove(); return; }
  const rm = t && t.closest('.doc-remove');
  if (rm) {  // ask first: removing drops the document from the index (and an uploaded copy from disk)
    li.querySelector('.doc-confirm')?.remove();
    const box = Object.assign(document.createElement('div'), {className: 'doc-confirm'});
    box.setAttribute('role', 'alertdialog');
    box.setAttribute('aria-label', 'Confirm removal');
    box.innerHTML = '<p>Remove this document from the index? Answers will no longer use it.</p>' +
      '<button type="button" class="doc-remove-yes">Remove</button>' +
      '<button type="button" class="doc-remove-no">Cancel</button>';
    box.querySelector('.doc-remove-yes').dataset.source = rm.dataset.source;
    li.appendChild(box);
    box.querySelector('.doc-remove-no').focus();
    return;
  }
  const v = t && t.closest('.doc-view');
  if (v) AD.openViewer(await server.view_document({source: v.dataset.source, start: -1, end: -1}));
});
