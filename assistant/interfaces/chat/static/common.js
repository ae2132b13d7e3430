
const AD = window.askdocs || (window.askdocs = {});
if (!AD.ready) {
  AD.ready = true;
  AD.openViewer = (markup) => {
    let d = document.getElementById('doc-viewer');
    if (!d) {
      d = Object.assign(document.createElement('dialog'), {id: 'doc-viewer'});
      d.setAttribute('aria-label', 'Document');
      d.addEventListener('click', (e) => { if (e.target === d || e.target.closest('.close-viewer')) d.close(); });
      document.body.appendChild(d);
    }
    d.innerHTML = markup;
    d.showModal();
    d.querySelector('.doc-text mark')?.scrollIntoView({block: 'center'});
  };
  AD.toMark = (p) => {
    const m = p.querySelector('mark');
    if (m) p.scrollTop += m.getBoundingClientRect().top - p.getBoundingClientRect().top - 8;
  };
  AD.showSource = (turn, n) => {
    const card = document.getElementById(`src-${turn}-${n}`);
    if (!card) return;
    document.querySelectorAll('#sources-panel section.turn').forEach((s) => { s.hidden = s.id !== `turn-${turn}`; });
    document.querySelectorAll('#sources-panel .src.active').forEach((x) => x.classList.remove('active'));
    card.classList.add('active');
    card.querySelectorAll('.passage').forEach(AD.toMark);
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.focus({preventScroll: true});
  };
  AD.copyAnswer = async (btn) => {
    const ans = btn.closest('.ans');
    const items = [...ans.querySelectorAll('.cite-list li')].map((li) => li.innerText.trim());
    const text = ans.querySelector('.answer-text').innerText.trim() + '\n\nSources\n' + items.join('\n');
    try { await navigator.clipboard.writeText(text); } catch (err) {
      const t = Object.assign(document.createElement('textarea'), {value: text});
      document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove();
    }
    btn.textContent = 'Copied ✓';
    setTimeout(() => { btn.textContent = 'Copy answer'; }, 1500);
  };
  document.addEventListener('click', (e) => {
    const t = e.target instanceof Element ? e.target : null;
    const a = t?.closest('a.cite');
    const m = a && (a.getAttribute('href') || '').match(/^#src-(\d+)-(\d+)$/);
    const back = t?.closest('.back-to-chat') && AD.lastChip?.isConnected;
    const copy = t?.closest('.copy-answer');
    if (!m && !back && !copy) return;
    e.preventDefault(); e.stopPropagation();
    if (m) { AD.lastChip = a; AD.showSource(m[1], m[2]); }
    if (back) { AD.lastChip.scrollIntoView({behavior: 'smooth', block: 'center'}); AD.lastChip.focus(); }
    if (copy) AD.copyAnswer(copy);
  }, true);
}
