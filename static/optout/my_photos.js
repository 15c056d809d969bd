// Ticking a photo means "only the photos I tick": switch the choice above to
// match, so a tick never goes out with "all my photos" by mistake. Without
// JavaScript the server refuses that pair and says why.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.name === "photo" && box.checked) {
    const only = document.querySelector('input[name="scope"][value="selected"]');
    if (only) {
      only.checked = true;
    }
  }
});
