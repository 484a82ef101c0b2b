#include "livekit/room/participants.h"

namespace parley::livekit {

namespace lk = ::livekit;

Participant to_participant(const lk::ParticipantInfo& p) {
  Participant out;
  out.sid = p.sid();
  out.identity = p.identity();
  out.name = p.name();
  out.metadata = p.metadata();
  out.attributes.insert(p.attributes().begin(), p.attributes().end());
  switch (p.kind()) {
    case lk::ParticipantInfo::INGRESS: out.kind = ParticipantKind::kIngress; break;
    case lk::ParticipantInfo::EGRESS: out.kind = ParticipantKind::kEgress; break;
    case lk::ParticipantInfo::SIP: out.kind = ParticipantKind::kSip; break;
    case lk::ParticipantInfo::AGENT: out.kind = ParticipantKind::kAgent; break;
    case lk::ParticipantInfo::CONNECTOR: out.kind = ParticipantKind::kConnector; break;
    case lk::ParticipantInfo::BRIDGE: out.kind = ParticipantKind::kBridge; break;
    default: out.kind = ParticipantKind::kStandard; break;
  }
  return out;
}

void Participants::joined(const lk::ParticipantInfo& local, std::string room_name) {
  std::lock_guard l(mutex_);
  local_ = to_participant(local);
  room_name_ = std::move(room_name);
}

Participants::Update Participants::update(const lk::ParticipantInfo& p) {
  Update u;
  u.left = p.state() == lk::ParticipantInfo::DISCONNECTED;
  u.info = to_participant(p);
  std::lock_guard l(mutex_);
  u.known = remotes_.count(p.sid()) > 0;
  if (u.left) {
    remotes_.erase(p.sid());
  } else {
    remotes_[p.sid()] = u.info;
  }
  return u;
}

bool Participants::is_local(const std::string& sid) const {
  std::lock_guard l(mutex_);
  return sid == local_.sid;
}

Participant Participants::local() const {
  std::lock_guard l(mutex_);
  return local_;
}

std::string Participants::room_name() const {
  std::lock_guard l(mutex_);
  return room_name_;
}

std::vector<Participant> Participants::remotes() const {
  std::lock_guard l(mutex_);
  std::vector<Participant> out;
  for (auto& [sid, p] : remotes_) out.push_back(p);
  return out;
}

std::optional<std::string> Participants::identity_of(const std::string& sid) const {
  std::lock_guard l(mutex_);
  auto it = remotes_.find(sid);
  if (it == remotes_.end()) return std::nullopt;
  return it->second.identity;
}

}  // namespace parley::livekit
