// "Your photos" while we read the owner's public photos on Flickr: ask how far it has
// come every few seconds, show it, and once it is done (or found the first photos)
// put the new photos on the page. Without JavaScript, a refresh shows the same.
(() => {
  const section = document.getElementById("listing");
  if (!section || section.dataset.done === "yes") {
    return;
  }
  const url = section.dataset.url;
  let total = Number(section.dataset.total || "0");
  const every = 2000;

  const replaceFrom = async () => {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) {
      return false;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["listing", "photos-region"]) {
      const fresh = page.getElementById(id);
      const here = document.getElementById(id);
      if (fresh && here) {
        here.replaceWith(fresh);
      }
    }
    return true;
  };

  const show = (state) => {
    const message = document.getElementById("listing-message");
    if (message && state.message) {
      message.textContent = state.message;
    }
    const bar = document.getElementById("listing-progress");
    if (bar && state.pages) {
      bar.max = state.pages;
      bar.value = state.pages_read;
      bar.textContent = `${state.pages_read} of ${state.pages} pages`;
    }
  };

  const poll = async () => {
    let state;
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        return; // signed out, or expired: the page says so on the next refresh
      }
      state = await response.json();
    } catch {
      window.setTimeout(poll, every * 3);
      return;
    }
    show(state);
    // The new photos: at the end, or as soon as the first are found on an empty page
    // (with photos already on it, a change mid-way would take away the owner's ticks).
    if (state.done || (total === 0 && state.total > 0)) {
      if (state.total !== total || state.done) {
        await replaceFrom();
      }
      total = state.total;
    }
    if (!state.done) {
      window.setTimeout(poll, every);
    }
  };
  window.setTimeout(poll, every);
})();
