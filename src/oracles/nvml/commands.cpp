#include "commands.hpp"

#include "deadline.hpp"
#include "nvml_loader.hpp"

namespace mdevmc::oracle::nvml {

void run(const Request& req, const std::string& root) {
    std::string error;
    const auto parent = inspectParent(root, req.parent, &error);
    if (!parent || parent->driver != "nvidia") {
        writeAnswer(formatAnswer(Answer::unclaimed()));
        return;
    }
    const LoadResult loaded = loadLibrary();
    if (!loaded.library) {
        writeAnswer(formatAnswer(Answer::unclaimed()));
        return;
    }
    Session session(*loaded.library);
    const Answer answer = req.command == Command::Record ? record(session, req, *parent)
                                                         : check(session, req, *parent);
    // Answer first: nvmlShutdown may block too, and the answer stands.
    writeAnswer(formatAnswer(answer));
    session.shutdown();
}

} // namespace mdevmc::oracle::nvml
