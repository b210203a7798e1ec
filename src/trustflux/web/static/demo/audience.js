// Demo "audience measurement" tag: runs only after the visitor's choice allows it.
(function () {
  document.cookie = "_fx_aud=demo; Max-Age=" + 60 * 60 * 24 * 30 + "; Path=/; SameSite=Lax";
  document.documentElement.setAttribute("data-audience", "running");
  var el = document.getElementById("demo-web_audience_measurement");
  if (el) { el.textContent = document.documentElement.lang === "en" ? "running" : "actif"; }
})();
