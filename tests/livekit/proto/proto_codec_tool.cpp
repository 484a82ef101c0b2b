// A bridge between parley's generated protobuf classes and the wire-compatibility test
// (proto_compat_test.py), which holds LiveKit's official definitions:
//   proto_codec_tool descriptors          -> FileDescriptorSet of parley's .proto files (stdout)
//   proto_codec_tool encode livekit.X     <- proto JSON on stdin,  -> binary on stdout
//   proto_codec_tool decode livekit.X     <- binary on stdin,      -> proto JSON on stdout
// encode/decode go through parley's classes only, so a number, type or name that differs
// from upstream shows up as a mismatch on the Python side.
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <string>

#include "livekit/proto/livekit_rtc.pb.h"
#include "livekit/proto/livekit_sip.pb.h"

namespace {

namespace pb = google::protobuf;

void add_file(const pb::FileDescriptor* file, std::set<std::string>& seen, pb::FileDescriptorSet& out) {
  if (!seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) add_file(file->dependency(i), seen, out);
  file->CopyTo(out.add_file());
}

std::unique_ptr<pb::Message> new_message(const std::string& name) {
  const pb::Descriptor* d = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
  if (d == nullptr) return nullptr;
  return std::unique_ptr<pb::Message>(pb::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc == 2 && std::string(argv[1]) == "descriptors") {
    pb::FileDescriptorSet set;
    std::set<std::string> seen;
    add_file(livekit::SignalRequest::descriptor()->file(), seen, set);
    add_file(livekit::SIPDispatchRuleInfo::descriptor()->file(), seen, set);
    std::cout << set.SerializeAsString();
    return 0;
  }
  if (argc != 3) {
    std::cerr << "usage: proto_codec_tool descriptors | encode|decode livekit.Message\n";
    return 2;
  }
  std::string mode = argv[1];
  auto msg = new_message(argv[2]);
  if (!msg) {
    std::cerr << "unknown message " << argv[2] << "\n";
    return 2;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (mode == "encode") {
    auto status = pb::util::JsonStringToMessage(input, msg.get());
    if (!status.ok()) {
      std::cerr << "json: " << status.ToString() << "\n";
      return 1;
    }
    std::cout << msg->SerializeAsString();
    return 0;
  }
  if (mode == "decode") {
    if (!msg->ParseFromString(input)) {
      std::cerr << "binary: parse failed\n";
      return 1;
    }
    std::string json;
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    auto status = pb::util::MessageToJsonString(*msg, &json, opts);
    if (!status.ok()) {
      std::cerr << "json: " << status.ToString() << "\n";
      return 1;
    }
    std::cout << json;
    return 0;
  }
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}
