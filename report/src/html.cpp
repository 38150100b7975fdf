// html(): the page around the data; report_page(): inputs -> page.
#include <stdexcept>

#include "mexa/io/errors.h"
#include "mexa/io/results.h"
#include "mexa/report/report.h"
#include "mexa/version.h"

namespace mexa::report {

namespace assets {
extern const std::string kPageScript;
extern const std::string kPageStyle;
extern const std::string kChartJs;
extern const std::string kChartJsVersion;
}  // namespace assets

using nlohmann::json;

namespace {

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// JSON safe inside <script>: "</" cannot end the element, "<!--" cannot open a comment.
std::string script_safe(std::string text) {
  for (size_t at = 0; (at = text.find("</", at)) != std::string::npos; at += 3) text.replace(at, 2, "<\\/");
  for (size_t at = 0; (at = text.find("<!--", at)) != std::string::npos; at += 6) text.replace(at, 4, "<\\u0021--");
  return text;
}


}  // namespace

const std::string& bundled_chart_js() { return assets::kChartJs; }
std::string bundled_chart_js_version() { return assets::kChartJsVersion; }

std::string html(const std::vector<json>& inputs, const std::string& title, const std::string& chart_js) {
  if (chart_js.find("</script") != std::string::npos) throw std::invalid_argument("the chart library's source contains </script");
  const json data = {{"inputs", inputs}};
  std::string page;
  page.reserve(chart_js.size() + 4096);
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be fetched: scripts and styles are inline, images are data: URLs.
  page += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
          "style-src 'unsafe-inline'; img-src data:\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>" + escape_html(title) + "</title>\n<style>\n" + assets::kPageStyle + "</style>\n</head>\n<body>\n";
  page += "<header><h1>" + escape_html(title) + "</h1><p>mexa " MEXA_VERSION " · " + io::utc_now() + " · charts: " +
          escape_html(bundled_chart_js_version()) + " (MIT)</p></header>\n<main id=\"main\"></main>\n";
  page += "<script id=\"mexa-data\" type=\"application/json\">" + script_safe(data.dump(-1, ' ', false, json::error_handler_t::replace)) +
          "</script>\n";
  page += "<script>\n" + chart_js + "\n</script>\n";
  page += "<script>\n" + assets::kPageScript + "\n</script>\n</body>\n</html>\n";
  return page;
}

std::string report_page(const std::vector<std::string>& inputs, const ReportOptions& options) {
  if (inputs.empty()) throw DataError("", "no inputs to report on");
  std::vector<json> data;
  for (const auto& input : inputs) data.push_back(input_data(input, options));
  std::string title = "mexa report: ";
  for (size_t i = 0; i < inputs.size(); ++i) title += (i ? ", " : "") + data[i].value("name", inputs[i]);
  return html(data, title, bundled_chart_js());
}

}  // namespace mexa::report
