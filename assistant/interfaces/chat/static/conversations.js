// The conversations list: open, rename in place, export as Markdown, delete after an in-place confirmation.
const itemOf = (t) => t.closest('li.conv');
const download = (name, text) => {
  const a = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(new Blob([text], {type: 'text/markdown'})), download: name,
  });
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};
const inline = (li, markup) => {
  li.querySelector('.conv-inline')?.remove();
  const box = Object.assign(document.createElement('div'), {className: 'conv-inline', innerHTML: markup});
  li.appendChild(box);
  return box;
};
element.addEventListener('click', async (e) => {
  const t = e.target instanceof Element ? e.target : null;
  const li = t && itemOf(t);
  if (!li) return;
  const id = li.dataset.id;
  if (t.closest('.conv-open')) {
    trigger('open_conv', {id});
    const bar = document.getElementById('conversations');  // on a phone the open list covers the page
    if (window.innerWidth <= 768 && bar && bar.classList.contains('open')) bar.querySelector('.toggle-button')?.click();
    return;
  }
  if (t.closest('.conv-cancel')) { li.querySelector('.conv-inline')?.remove(); return; }
  if (t.closest('.conv-delete-yes')) { t.disabled = true; trigger('delete_conv', {id}); return; }
  if (t.closest('.conv-delete')) {
    const box = inline(li, '<p role="alertdialog" aria-label="Confirm deletion">Delete this conversation? ' +
      'It cannot be undone.</p><button type="button" class="conv-delete-yes">Delete</button>' +
      '<button type="button" class="conv-cancel">Cancel</button>');
    box.querySelector('.conv-cancel').focus();
    return;
  }
  if (t.closest('.conv-rename')) {
    const box = inline(li, '<form class="conv-rename-form"><input type="text" maxlength="200" ' +
      'aria-label="New title"><button type="submit">Save</button>' +
      '<button type="button" class="conv-cancel">Cancel</button></form>');
    const input = box.querySelector('input');
    input.value = li.dataset.title || '';
    input.focus(); input.select();
    box.querySelector('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (input.value.trim()) trigger('rename_conv', {id, title: input.value});
    });
    return;
  }
  if (t.closest('.conv-export')) {
    const file = await server.export_conversation(id);
    if (file && file.text) download(file.name, file.text);
  }
});
element.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') e.target.closest?.('li.conv')?.querySelector('.conv-inline')?.remove();
});
