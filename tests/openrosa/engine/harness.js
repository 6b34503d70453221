// The test hands the page a form and its media (window.openForm), fills the form through
// Web Forms' own UI, presses "Send" and reads back the submission Web Forms made
// (window.submission: the multipart parts, each with its bytes in base64).
import { createApp, h } from "vue";
import { OdkWebForm, webFormsPlugin } from "@getodk/web-forms";

const base64 = async (blob) => {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
};

window.submission = null;

window.openForm = (formXml, media) => {
  const fetchFormAttachment = async (url) => {
    const name = String(url).split("/").pop();
    if (!(name in media)) return new Response("", { status: 404 });
    return new Response(media[name], { status: 200, headers: { "Content-Type": "text/csv" } });
  };
  const onSubmit = async (payload, callback) => {
    const parts = [];
    for (const [name, file] of payload.data[0].entries()) {
      parts.push({ name, filename: file.name, type: file.type, base64: await base64(file) });
    }
    window.submission = { status: payload.status, parts };
    callback({ status: "success" });
  };
  const app = createApp({
    render: () => h(OdkWebForm, { formXml, fetchFormAttachment, onSubmit }),
  });
  app.use(webFormsPlugin);
  app.mount("#app");
};
window.harnessReady = true;
