// Insignia admin page: the small parts that need a script. Everything else
// is plain HTML forms, which work without it.
'use strict';

// ---- Badge form: live preview, colour pickers, contrast warning, icon preview

const HEX = /^#[0-9a-fA-F]{6}$/;

// WCAG 2 relative luminance and contrast ratio.
function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function setUpBadgeForm(form) {
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const title = field('title');
  const background = field('backgroundColor');
  const text = field('textColor');
  const icon = field('icon');
  const preview = document.getElementById('badge-preview');
  const previewTitle = document.getElementById('preview-title');
  const previewIcon = document.getElementById('preview-icon');
  const contrastWarning = document.getElementById('contrast-warning');
  const iconWarning = document.getElementById('icon-warning');

  function update() {
    previewTitle.textContent = title.value.trim() || 'Badge title';
    const bg = background.value.trim();
    const fg = text.value.trim();
    if (HEX.test(bg)) preview.style.backgroundColor = bg;
    if (HEX.test(fg)) preview.style.color = fg;
    if (HEX.test(bg) && HEX.test(fg)) {
      const ratio = contrast(bg, fg);
      const low = ratio < 4.5;
      contrastWarning.hidden = !low;
      contrastWarning.textContent = low
        ? `Low contrast: text and background are ${ratio.toFixed(2)}:1, under the 4.5:1 that keeps a badge readable.`
        : '';
    } else {
      contrastWarning.hidden = true;
    }
  }

  function updateIcon() {
    const url = icon.value.trim();
    iconWarning.hidden = true;
    if (!url) {
      previewIcon.hidden = true;
      previewIcon.removeAttribute('src');
      return;
    }
    previewIcon.hidden = false;
    if (previewIcon.getAttribute('src') !== url) previewIcon.src = url;
  }
  previewIcon.addEventListener('error', () => {
    if (icon.value.trim()) {
      previewIcon.hidden = true;
      iconWarning.hidden = false;
    }
  });
  previewIcon.addEventListener('load', () => {
    iconWarning.hidden = true;
  });

  // Each colour picker mirrors its text input, both ways.
  for (const picker of form.querySelectorAll('input[type="color"][data-color-for]')) {
    const input = document.getElementById(picker.dataset.colorFor);
    picker.addEventListener('input', () => {
      input.value = picker.value.toUpperCase();
      update();
    });
    input.addEventListener('input', () => {
      if (HEX.test(input.value.trim())) picker.value = input.value.trim().toLowerCase();
    });
  }

  for (const input of [title, background, text]) input.addEventListener('input', update);
  icon.addEventListener('input', updateIcon);
  update();
  updateIcon();
}

// ---- Badge list: drag to reorder (the Move up / Move down buttons are the keyboard way)

function setUpBadgeList(list) {
  const csrf = document.body.dataset.csrf;
  const status = document.querySelector('.notice');
  let dragged = null;
  let dropped = false;

  list.addEventListener('dragstart', (event) => {
    const row = event.target.closest('li[data-badge-id]');
    if (!row) return;
    dragged = row;
    dropped = false;
    row.classList.add('dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', row.dataset.badgeId);
  });

  list.addEventListener('dragover', (event) => {
    if (!dragged) return;
    event.preventDefault();
    const row = event.target.closest('li[data-badge-id]');
    if (!row || row === dragged) return;
    const box = row.getBoundingClientRect();
    const before = event.clientY < box.top + box.height / 2;
    list.insertBefore(dragged, before ? row : row.nextSibling);
  });

  list.addEventListener('drop', async (event) => {
    if (!dragged) return;
    event.preventDefault();
    dropped = true;
    const row = dragged;
    const previous = row.previousElementSibling;
    const after = previous ? previous.dataset.badgeId : list.dataset.beforePage || '';
    const body = new URLSearchParams({ csrf, after, page: list.dataset.page, dir: 'drag' });
    try {
      const response = await fetch(`/admin/badges/${row.dataset.badgeId}/move`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(`move failed: ${response.status}`);
      // The answer is the list page after the move: take its list and message.
      const page = new DOMParser().parseFromString(await response.text(), 'text/html');
      const fresh = page.getElementById('badge-list');
      const freshStatus = page.querySelector('.notice');
      if (!fresh) throw new Error('no list in the answer');
      list.replaceWith(fresh);
      if (status && freshStatus) status.innerHTML = freshStatus.innerHTML;
      setUpBadgeList(fresh);
    } catch (err) {
      location.reload();
    }
  });

  list.addEventListener('dragend', () => {
    if (dragged) dragged.classList.remove('dragging');
    // Dropped outside the list: put everything back as the server has it.
    if (dragged && !dropped) location.reload();
    dragged = null;
  });

  // After a Move up / Move down, give focus back to the button that was used.
  const moved = list.dataset.moved;
  const dir = list.dataset.dir;
  if (moved && (dir === 'up' || dir === 'down')) {
    const button = list.querySelector(`li[data-badge-id="${moved}"] button[data-dir="${dir}"]`);
    const fallback = list.querySelector(`li[data-badge-id="${moved}"] button:not([disabled])`);
    (button && !button.disabled ? button : fallback)?.focus();
    delete list.dataset.moved;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const form = document.querySelector('form.badge-form');
  if (form) setUpBadgeForm(form);
  const list = document.getElementById('badge-list');
  if (list && list.dataset.manage === 'true') setUpBadgeList(list);
});
