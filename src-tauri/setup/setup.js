// First-run page: choose Host or Join. Talks only to the app's commands
// (capability "setup", local pages only). Text reaches the DOM via
// textContent only.

const invoke = (cmd, args) => window.__TAURI__.core.invoke(cmd, args);

const $ = (id) => document.getElementById(id);
const errorBox = $("error");
const buttons = () => document.querySelectorAll("button");

function showError(message) {
  errorBox.textContent = String(message);
  errorBox.hidden = false;
}

// While one choice is being applied, no other may start.
async function busy(label, button, action) {
  errorBox.hidden = true;
  const text = button.textContent;
  buttons().forEach((b) => { b.disabled = true; });
  button.textContent = label;
  try {
    await action();
  } catch (err) {
    showError(err);
  } finally {
    button.textContent = text;
    buttons().forEach((b) => { b.disabled = false; });
  }
}

function join(url, button) {
  return busy("Checking…", button, () => invoke("choose_join", { url }));
}

async function discover() {
  const list = $("found");
  const status = $("found-status");
  list.replaceChildren();
  status.textContent = "Looking…";
  try {
    const servers = await invoke("discover_servers");
    status.textContent = servers.length ? "" : "No server found on this network yet.";
    for (const server of servers) {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = server.name;
      const address = document.createElement("span");
      address.className = "muted";
      const online = server.online == null ? "" : ` · ${server.online} online`;
      address.textContent = `${server.url}${online}`;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Join";
      button.addEventListener("click", () => join(server.url, button));
      item.append(name, address, button);
      list.append(item);
    }
  } catch (err) {
    status.textContent = String(err);
  }
}

$("host").addEventListener("click", (event) =>
  busy("Starting…", event.currentTarget, () => invoke("choose_host")));
$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  join($("address").value, event.submitter ?? $("join-form").querySelector("button"));
});
$("rescan").addEventListener("click", discover);

discover();
