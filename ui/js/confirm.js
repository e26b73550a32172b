// A yes/no question in a modal <dialog> (never window.confirm, which blocks
// the page and cannot be styled or labelled). Resolves true for the named
// action, false for Cancel, Escape or a click outside.

import { byId } from "./dom.js";

const dialog = () => byId("confirm-dialog");

/** @returns {Promise<boolean>} */
export function confirmAction(question, actionLabel) {
  const box = dialog();
  const ok = byId("confirm-ok");
  const cancel = byId("confirm-cancel");
  byId("confirm-text").textContent = question;
  ok.textContent = actionLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      box.removeEventListener("close", onClose);
      box.removeEventListener("click", onBackdrop);
      if (box.open) box.close();
      resolve(answer);
    };
    const onOk = () => finish(true);
    const onCancel = () => finish(false);
    const onClose = () => finish(false);
    const onBackdrop = (e) => {
      if (e.target === box) finish(false);
    };
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    box.addEventListener("close", onClose);
    box.addEventListener("click", onBackdrop);
    box.showModal();
  });
}
