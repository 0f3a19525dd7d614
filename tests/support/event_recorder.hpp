// An XmlEventSink that writes down what it is given, one line an event, so
// that two sources of events (readPlainEvents(), parseEvents()) can be
// compared: an element's start with its namespace and those of the
// attributes named in kAttributeNames it has, its text (pieces joined: where a source splits
// text is its own), its end.  Elements named "refused" are refused, so that
// a source's skipping is compared too.
#pragma once

#include "domain/xml_events.hpp"

#include <string>
#include <string_view>

namespace mdevmc::test {

class EventRecorder final : public XmlEventSink {
public:
    bool start(std::string_view local, std::string_view ns, const AttrSource& attrs) override {
        flushText();
        log += "start {" + std::string(ns) + "}" + std::string(local);
        for (const char* name : kAttributeNames) {
            if (auto v = attrs(name)) {
                log += " " + std::string(name) + "=[" + *v + "]";
            }
        }
        log += "\n";
        return local != "refused";
    }
    void text(std::string_view t) override { text_ += t; }
    void end() override {
        flushText();
        log += "end\n";
    }
    // The log, once the source is done.
    const std::string& finish() {
        flushText();
        return log;
    }

    std::string log;

private:
    static constexpr const char* kAttributeNames[] = {
        "type",     "mode", "model",  "uuid",    "name",  "domain",  "bus",   "slot",
        "function", "host", "parent", "version", "error", "address", "alias", "id",
        "a",        "b",    "xmlns",  "xmlns:a", "a:b",   "x",       "value"};

    void flushText() {
        if (!text_.empty()) {
            log += "text [" + text_ + "]\n";
            text_.clear();
        }
    }

    std::string text_;
};

} // namespace mdevmc::test
